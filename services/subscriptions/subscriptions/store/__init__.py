"""Persistence of the subscriptions service: `tables` (its only MetaData), one repository per
aggregate (`subscriptions`, `amendments`, `contacts`) and `uow`, the unit of work holding them."""
