"""Demo staff, portal and partner users."""

from __future__ import annotations

from rapport.core import access
from rapport.core.models import Role, User
from rapport.demo.names import password_hash
from rapport.demo.sizes import DEMO_DOMAIN, DEMO_PASSWORD
from rapport.demo.state import DemoState


class UsersMixin(DemoState):
    """Staff who own the accounts, and the portal and partner users who sign in."""

    # -- users ----------------------------------------------------------------------------

    def users(self) -> None:
        rng = self.rng
        pw = password_hash()
        pool_first = self.names.first("en_GB") + self.names.first("en_US")
        pool_last = self.names.last("en_GB") + self.names.last("en_US")
        specs: list[tuple[str, str, str]] = [(f"demo@{DEMO_DOMAIN}", "Dana Demo", Role.ADMIN)]
        used = {"Dana Demo"}

        def person() -> str:
            while True:
                name = f"{rng.choice(pool_first)} {rng.choice(pool_last)}"
                if name not in used:
                    used.add(name)
                    return name

        for role, n in (
            (Role.MANAGER, self.p["managers"]),
            (Role.REP, self.p["reps"]),
            (Role.ANALYST, 1),
        ):
            for k in range(n):
                local = role if k == 0 else f"{role}{k + 1}"
                specs.append((f"{local}@{DEMO_DOMAIN}", person(), role))
        self.managers: list[int] = []
        self.reps: list[int] = []
        self.user_names: dict[int, str] = {}
        created = 0
        for email, full_name, user_role in specs:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email)
                created += 1
            user.full_name, user.role, user.password = full_name, user_role, pw
            user.is_active = True
            user.is_staff = user.is_superuser = access.Capability.ADMINISTER in (
                access.ROLE_CAPABILITIES.get(user_role, frozenset())
            )
            user.partner = user.account = None
            user.save()
            if user_role == Role.MANAGER:
                self.managers.append(user.pk)
            elif user_role == Role.REP:
                self.reps.append(user.pk)
            self.user_names[user.pk] = full_name.split()[0]
        self.writers = self.managers + self.reps
        self.counts["users"] = len(specs)
        self.say(f"users: {len(specs)} ({created} new), password {DEMO_PASSWORD!r}")

    # -- portal and partner users ----------------------------------------------------------

    def access_users(self) -> None:
        pw = User.objects.get(email=f"demo@{DEMO_DOMAIN}").password
        made = 0
        partner_email, portal_email = f"partner@{DEMO_DOMAIN}", f"portal@{DEMO_DOMAIN}"
        if self.partner_list and not User.objects.filter(email=partner_email).exists():
            first_partner = self.partner_list[0]  # the first partner always serves an account
            User(
                email=partner_email,
                full_name="Pat Partner",
                role=Role.PARTNER,
                partner_id=first_partner[0],
                password=pw,
            ).save()
            made += 1
        if not User.objects.filter(email=portal_email).exists():
            # The first customer (in name order) that buys from us and has units.
            c = next(
                (c for c in self.customers if c.stage == "customer" and len(c.units) > 1),
                self.customers[0],
            )
            User(
                email=portal_email,
                full_name="Polly Portal",
                role=Role.PORTAL,
                account_id=c.root.id,
                password=pw,
            ).save()
            made += 1
        self.counts["users"] += made
