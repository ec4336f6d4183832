from django.urls import path

from store.views import benefits, catalogue, counter, mine, reports

app_name = "store"

urlpatterns = [
    # The store keeper at the counter.
    path("store/counter/", counter.counter, name="counter"),
    path("store/counter/card/", counter.counter_card, name="counter_card"),
    path("store/counter/<int:pk>/", counter.serve, name="serve"),
    path("store/receipts/<int:pk>/", counter.receipt, name="receipt"),
    path("store/receipts/<int:pk>/return/", counter.receipt_return, name="receipt_return"),
    # Catalogue and stock; goods and settings for the head and administrators.
    path("store/", catalogue.catalogue_page, name="catalogue"),
    path("store/goods/new/", catalogue.goods_add, name="goods_add"),
    path("store/goods/<int:pk>/", catalogue.goods_edit, name="goods_edit"),
    path("store/goods/<int:pk>/stock/", catalogue.goods_stock, name="goods_stock"),
    path("store/goods/<int:pk>/photo/", catalogue.goods_photo, name="goods_photo"),
    path("store/settings/", catalogue.store_settings_page, name="settings"),
    path("store/report/", reports.report, name="report"),
    path("store/report.<str:fmt>", reports.report_download, name="report_download"),
    # The resident's own store points and receipts.
    path("me/store/", mine.mine, name="mine"),
    # Benefits by grade.
    path("benefits/", benefits.benefits, name="benefits"),
    path("benefits/<int:pk>/end/", benefits.benefit_end, name="benefit_end"),
]
