"""The domain: tables and the rules that need the database. Every function works on the
session it is given and never commits; the use cases own the transaction."""
