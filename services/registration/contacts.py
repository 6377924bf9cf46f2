"""How a member is named and reached, as other services and the member see it: pure.

One shape for each: the name with or without the title, the address lines
that are not empty, the contact (email, address, postcode, phone) and the
voter (who a code goes to, and where) that ``voters.enrolled`` and
``voters.contact_changed`` carry.
"""

from __future__ import annotations

from typing import Any

from services.registration.models import Member


def name(member: Member, *, title: bool = True) -> str:
    parts = (member.title if title else "", member.first_name, member.last_name)
    return " ".join(p for p in parts if p)


def address(member: Member) -> list[str]:
    return [a for a in (member.address_1, member.address_2, member.address_3, member.town) if a]


def contact(member: Member) -> dict[str, Any]:
    return {
        "email": member.email,
        "address": address(member),
        "postcode": member.postcode,
        "phone": member.phone,
    }


def voter(member: Member) -> dict[str, Any]:
    return {
        "membership_number": member.membership_number,
        "name": name(member),
        "email": member.email,
        "address": address(member),
        "postcode": member.postcode,
    }
