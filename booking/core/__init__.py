"""The pure core: values and rules (slots, a visit's life, statuses, roles and permissions,
references, contacts, holidays, errors). No I/O, no session, no clock: it imports nothing of
Guichet's outside itself."""
