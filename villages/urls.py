from django.urls import path

from villages.views import accounts, acting, activation, cards, residents

app_name = "villages"

urlpatterns = [
    path("village/", acting.switch_village, name="switch"),
    # Resident cards: the QR code's address, the typed code, closing the card session.
    path("card/", cards.card_open, name="card_open"),
    path("card/code/", cards.card_enter, name="card_enter"),
    path("card/close/", cards.card_close, name="card_close"),
    # The register of residents (heads and administrators).
    path("office/residents/", residents.resident_list, name="residents"),
    path("office/residents/new/", residents.resident_add, name="resident_add"),
    path("office/residents/import/", residents.resident_import, name="resident_import"),
    path("office/residents/export.<str:fmt>", residents.resident_export, name="resident_export"),
    path("office/residents/<int:pk>/", residents.resident_detail, name="resident_detail"),
    path("office/residents/<int:pk>/move/", residents.resident_move, name="resident_move"),
    path("office/residents/<int:pk>/status/", residents.resident_status, name="resident_status"),
    path("office/residents/<int:pk>/consent/", residents.resident_consent, name="resident_consent"),
    path("office/residents/<int:pk>/sharing/", residents.resident_sharing, name="resident_sharing"),
    path("office/residents/<int:pk>/sms/", residents.resident_sms, name="resident_sms"),
    # Accounts and roles (administrators).
    path("office/accounts/for-residents/", activation.logins_for_selected, name="logins_for_selected"),
    path("accounts/activate/", activation.activate, name="activate"),
    path("office/accounts/", accounts.account_list, name="accounts"),
    path("office/accounts/new/", accounts.account_add, name="account_add"),
    path("office/accounts/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("office/accounts/<int:pk>/roles/", accounts.account_roles, name="account_roles"),
    path("office/accounts/<int:pk>/password/", accounts.account_password, name="account_password"),
    path("office/accounts/<int:pk>/deactivate/", accounts.account_deactivate, name="account_deactivate"),
]
