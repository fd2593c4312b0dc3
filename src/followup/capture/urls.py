"""Where each page lives."""

from pathlib import Path

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.static import serve

from followup.capture import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/login/"),
        name="password_reset_confirm",
    ),
    path("records/", views.records, name="records"),
    path("records/<str:record_id>/trail/", views.record_trail, name="trail"),
    path("records/<str:record_id>/lock/", views.lock, name="lock"),
    path(
        "records/<str:record_id>/queries/<int:query_id>/reply/",
        views.reply_query,
        name="reply_query",
    ),
    path("records/<str:record_id>/<str:form>/", views.form_page, name="form"),
    path("records/<str:record_id>/<str:form>/query/", views.open_query, name="open_query"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("setup/", views.study_setup, name="setup"),
    path("dashboard/remind/<int:hospital_id>/", views.remind_hospital, name="remind"),
    path("dashboard/invite/", views.invite_coordinator, name="invite"),
    path("export.csv", views.export, name="export"),
    path("report/", views.report, name="report"),
    path("admin/", admin.site.urls),
    # The app's own CSS and script, served by Django itself: no separate web server to set up.
    re_path(
        r"^static/(?P<path>capture/.*)$", serve, {"document_root": Path(__file__).parent / "static"}
    ),
]
