from django.urls import path

from handbook import views

app_name = "handbook"

urlpatterns = [
    path("", views.index, name="index"),
    path("editions/<int:edition_pk>/pages/<int:number>/", views.page, name="page"),
    path("items/<int:pk>/", views.item, name="item"),
]
