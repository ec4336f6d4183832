from django.urls import path

from points import views

app_name = "points"

urlpatterns = [
    path("", views.standing, name="standing"),
]
