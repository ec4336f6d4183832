from django.urls import path

from villages import views

app_name = "villages"

urlpatterns = [
    path("", views.home, name="home"),
    path("village/", views.switch_village, name="switch"),
]
