"""The seats service's storage: its tables (`tables`), one repository per aggregate, and the
unit of work that holds them (`uow.SeatsUnitOfWork`)."""
