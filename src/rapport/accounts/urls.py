"""Pages of Identify: accounts, contacts, end users, partners."""



app_name = "accounts"
urlpatterns: list = [
    # filled by the accounts views (see docs/architecture.md for the URL contract)
]
