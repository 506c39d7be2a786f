"""URL map of the portal's doors: invitations, their acceptance, entitlements."""

from django.urls import path

from rapport.portal import views

app_name = "portal"
urlpatterns = [
    path("portal/invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("contacts/<int:pk>/portal/invite/", views.invitation_create, name="invitation_create"),
    path("portal/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("portal/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("accounts/<int:pk>/portal/", views.organisation_portal, name="organisation_portal"),
    path("portal/users/<int:pk>/", views.entitlement_edit, name="entitlement_edit"),
]
