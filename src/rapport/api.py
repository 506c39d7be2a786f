"""The versioned REST API: mounts every app's ninja router at /api/v1/."""

from ninja import NinjaAPI

api = NinjaAPI(title="Rapport API", version="1", urls_namespace="api")
