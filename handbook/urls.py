from django.urls import path

from handbook import editor_views, views

app_name = "handbook"

urlpatterns = [
    path("", views.index, name="index"),
    path("editions/<int:edition_pk>/pages/<int:number>/", views.page, name="page"),
    path("items/<int:pk>/", views.item, name="item"),
    # The administrator's editor.
    path("editor/", editor_views.editor, name="editor"),
    path("editor/start/", editor_views.start, name="editor_start"),
    path("editor/import/", editor_views.import_file, name="editor_import"),
    path("editor/booklet.pdf", editor_views.booklet, name="editor_booklet"),
    path("editor/editions/<int:pk>/booklet.pdf", editor_views.booklet, name="editor_edition_booklet"),
    path("editor/editions/<int:pk>/export.yaml", editor_views.export, name="editor_export"),
    path("editor/draft/", editor_views.draft, name="editor_draft"),
    path("editor/draft/title/", editor_views.rename, name="editor_rename"),
    path("editor/draft/discard/", editor_views.discard, name="editor_discard"),
    path("editor/draft/diff/", editor_views.diff, name="editor_diff"),
    path("editor/draft/pages/add/", editor_views.page_add, name="editor_page_add"),
    path("editor/pages/<int:pk>/", editor_views.page_section, name="editor_page"),
    path("editor/pages/<int:pk>/title/", editor_views.page_rename, name="editor_page_rename"),
    path("editor/pages/<int:pk>/move/", editor_views.page_move, name="editor_page_move"),
    path("editor/pages/<int:pk>/remove/", editor_views.page_remove, name="editor_page_remove"),
    path("editor/pages/<int:pk>/items/add/", editor_views.item_add, name="editor_item_add"),
    path("editor/items/<int:pk>/", editor_views.item_row, name="editor_item"),
    path("editor/items/<int:pk>/edit/", editor_views.item_edit, name="editor_item_edit"),
    path("editor/items/<int:pk>/move/", editor_views.item_move, name="editor_item_move"),
    path("editor/items/<int:pk>/remove/", editor_views.item_remove, name="editor_item_remove"),
]
