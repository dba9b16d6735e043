"""Product clients (issue 14): loading and saving `domain.product_clients.ProductClient`."""

from __future__ import annotations

from sqlalchemy import select

from identity.domain.product_clients import ProductClient
from identity.store.rows import Rows
from identity.store.tables import product_clients
from servicekit.http.pagination import PageRequest, keyset


class ProductClientRepository(Rows):
    async def get(self, client_id: str, lock: bool = False) -> ProductClient | None:
        row = await self._one(product_clients, product_clients.c.client_id == client_id, lock=lock)
        return ProductClient(**row._mapping) if row else None

    async def save(self, client: ProductClient) -> None:
        await self._save(product_clients, "client_id", client)

    async def page(self, page: PageRequest, product: str | None = None) -> list[ProductClient]:
        """Every client (revoked ones too), oldest first; only `product`'s if given."""
        query = select(product_clients)
        if product is not None:
            query = query.where(product_clients.c.product == product)
        ordered = keyset(query, [product_clients.c.created_at, product_clients.c.client_id], page)
        return [ProductClient(**row._mapping) for row in await self._conn.execute(ordered)]
