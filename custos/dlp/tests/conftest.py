"""DLP tests: a small synthetic register, fictional people who are not in it, and the labelled corpus."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from faker import Faker

from custos.accounts.models import Role, User
from custos.crypto.blind_index import normalise_name
from custos.dlp.tests.corpus import Someone, someone
from custos.register.bulk import bcus_resolve
from custos.register.models import Person
from custos.register.seeding import seed_demo

REGISTER_SIZE = 300


def register_people() -> list[Someone]:
    """Everyone in the register, as a file would hold them (decrypted: test set-up)."""
    return [
        someone(p.ref, p.full_name, p.date_of_birth, (p.addresses or [""])[0], (p.aliases or [""])[0])
        for p in Person.objects.order_by("created_at")
    ]


def fictional_people(count: int, taken: set[str], seed: int = 99) -> list[Someone]:
    """People made up for decoys: no name of theirs is in the register."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    made: list[Someone] = []
    while len(made) < count:
        name = f"{fake.first_name()} {fake.last_name()}"
        if normalise_name(name) in taken:
            continue
        dob = fake.date_of_birth(minimum_age=14, maximum_age=40)
        street = f"{rng.randint(1, 300)} {fake.street_name()}"
        postcode = f"{rng.choice(['E', 'N', 'SE', 'W'])}{rng.randint(21, 29)} {rng.randint(1, 9)}ZZ"
        made.append(Someone("", name, dob, street, postcode, "Camden"))
    return made


def filler_words() -> list[str]:
    fake = Faker("en_GB")
    fake.seed_instance(5)
    return [*fake.words(1500), "road", "street", "lane", "close", "may", "will", "mark", "rose", "grace", "the"]


@pytest.fixture
def register(bcu_a: Any) -> list[Someone]:
    """A synthetic register (seed_demo) of ``REGISTER_SIZE`` people, with their fingerprints."""
    seed_demo(people=REGISTER_SIZE, seed=11, bcus=bcus_resolve([]), batch_size=100)
    return register_people()


@pytest.fixture
def fictional(register: list[Someone]) -> list[Someone]:
    return fictional_people(200, {normalise_name(p.full_name) for p in register})


@pytest.fixture
def dpo(make_user: Callable[..., User], reference_data: None) -> User:
    return make_user("dpo", Role.DPO)


@pytest.fixture
def corpus_root(tmp_path: Path) -> Path:
    return tmp_path / "share"
