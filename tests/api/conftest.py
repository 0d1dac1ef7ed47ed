import pytest
from django.test import Client

from guichet.customers.tokens import token_create


class Api:
    """A client for /api/v1 acting with one user's bearer token."""

    def __init__(self, user, can_import=False):
        self.user = user
        _, self.token = token_create(user=user, can_import=can_import)
        self.client = Client()

    def _h(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, **self._h())

    def post(self, path, data=None):
        return self.client.post(f"/api/v1{path}", data or {}, content_type="application/json", **self._h())

    def patch(self, path, data):
        return self.client.patch(f"/api/v1{path}", data, content_type="application/json", **self._h())


@pytest.fixture
def as_user():
    return Api
