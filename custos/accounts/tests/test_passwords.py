"""Passwords are hashed with Argon2 in every deployment."""

from django.conf import settings


def test_production_settings_hash_passwords_with_argon2():
    import custos.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.AUTH_USER_MODEL == "accounts.User"
