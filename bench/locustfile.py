"""Locust load for Custos: people signing in and browsing the matrix and person pages.

    .venv/bin/locust -f bench/locustfile.py --headless -u 50 -r 10 -t 60s --host http://127.0.0.1:PORT

``bench/scale.py`` starts the server, creates the accounts and writes the JSON file named by
``BENCH_LOCUST_DATA``: ``{"password", "totp_secret", "users": [{"username", "bcu"}], "people": {bcu: [ids]},
"bcus": [codes]}``. Each simulated user takes the next account (one account per user: an authenticator code
is accepted once), signs in with password and code, declares a purpose, then browses: the matrix with
filters, further pages of it, and person pages in its reach (an officer's own BCU; London-wide roles any).
Think time between requests: ``BENCH_LOCUST_WAIT`` seconds, "MIN-MAX" (default 0.5-1.5).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))

from signin import sign_in  # noqa: E402

DATA: dict[str, Any] = json.loads(Path(os.environ["BENCH_LOCUST_DATA"]).read_text())
_ACCOUNTS = itertools.cycle(DATA["users"])
_WAIT = [float(v) for v in os.environ.get("BENCH_LOCUST_WAIT", "0.5-1.5").split("-")]
BANDS = ("", "red", "amber", "green", "none")
STATUSES = ("", "active", "proposed")
CATEGORIES = ("", "", "", "suspected_offender", "victim")


class Officer(HttpUser):
    wait_time = between(_WAIT[0], _WAIT[1])

    def on_start(self) -> None:
        account = next(_ACCOUNTS)
        self.bcu = account["bcu"]
        self.people = DATA["people"][self.bcu] if self.bcu else [p for ps in DATA["people"].values() for p in ps]
        sign_in(
            self.client,
            "",
            username=account["username"],
            password=DATA["password"],
            totp_secret=DATA["totp_secret"],
            name="sign-in steps",
        )

    @task(3)
    def matrix_filtered(self) -> None:
        params = {
            "bcu": self.bcu or random.choice(["", *DATA["bcus"]]),
            "band": random.choice(BANDS),
            "status": random.choice(STATUSES),
            "category": random.choice(CATEGORIES),
        }
        self.client.get("/matrix/", params={k: v for k, v in params.items() if v}, name="/matrix/?filters")

    @task(1)
    def matrix_deeper_page(self) -> None:
        self.client.get("/matrix/", params={"page": random.randint(2, 20)}, name="/matrix/?page=N")

    @task(3)
    def person(self) -> None:
        self.client.get(f"/people/{random.choice(self.people)}/", name="/people/<id>/")
