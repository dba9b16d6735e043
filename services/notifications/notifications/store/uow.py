"""The unit of work of the notifications service: one transaction, and the repositories on it."""

from __future__ import annotations

from notifications.store.administrators import AdministratorRepository
from notifications.store.documents import DocumentRepository
from notifications.store.emails import EmailRepository
from servicekit.store.uow import UnitOfWork, repository


class NotificationsUnitOfWork(UnitOfWork):
    emails = repository(EmailRepository)
    administrators = repository(AdministratorRepository)
    documents = repository(DocumentRepository)  # invoices' PDFs, until their e-mails are sent
