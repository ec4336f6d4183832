from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import healthz
from points.views.offline import clear_site_data, manifest, service_worker
from villages.signin import SignInView

handler400 = "config.errors.bad_request"
handler500 = "config.errors.server_error"
admin.site.site_header = admin.site.site_title = "Village Points"

urlpatterns = [
    path("", include("villages.urls")),
    path("", include("office.urls")),
    path("", include("points.urls")),
    path("", include("store.urls")),
    path("handbook/", include("handbook.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", clear_site_data(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    # The scorers' installable app: the worker must be served from the root to control every page.
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("admin/", admin.site.urls),
]
