"""The HTTP floor: a FastAPI route that does nothing, served exactly as every service serves
(`servicekit.logs.serve`: uvloop, httptools, no access log). What a service's route costs is read
beside what this one costs in the same run, on the same machine, under the same load generator.

    python -m bench.floor 8199
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/nothing")
async def nothing() -> dict[str, bool]:
    return {"ok": True}


def main() -> None:
    port = int(sys.argv[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, loop="uvloop", http="httptools", access_log=False
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
