"""An example desktop product built on `entitle_client` only (see `__main__.py`)."""
