from django.urls import path

from points.views import standing

app_name = "points"

urlpatterns = [
    path("me/", standing.standing, name="standing"),
]
