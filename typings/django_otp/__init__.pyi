# Type stubs for the parts of django-otp that Custos uses (django-otp ships none).
from django.http import HttpRequest
from django_otp.models import Device

DEVICE_ID_SESSION_KEY: str

def login(request: HttpRequest, device: Device) -> None: ...
