"""GOV.UK Design System helpers for Django, with no knowledge of the domain.

Like a third-party library, this package imports nothing from Custos, so any
layer may use it: the register's forms and the web shell alike (the layers
contract forbids ``custos.register`` importing ``custos.web``).
"""
