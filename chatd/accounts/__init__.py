"""Where accounts live and how passwords are hashed: the implementations of
:class:`chatd.core.accounts.AccountStore` and :class:`~chatd.core.accounts.PasswordHasher`."""
