"""Where each page lives, and the pages shown when a request cannot be answered."""

from pathlib import Path

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path, register_converter
from django.views.static import serve

from followup.capture.views import (
    api,
    api_tokens,
    exports,
    forms,
    home,
    locking,
    people,
    queries,
    records,
    report,
    study,
    workbooks,
)


class RowId:
    """A row's id in an address: 1 to 18 digits, so it always fits the database's integers."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        """The id as a number."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The id as text."""
        return str(value)


register_converter(RowId, "id")

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url="/login/"),
        name="password_reset_confirm",
    ),
    path("language/", home.set_language, name="set_language"),
    path("records/", records.records, name="records"),
    path("records/<str:record_id>/trail/", study.record_trail, name="trail"),
    path("records/<str:record_id>/lock/", locking.lock_record, name="lock"),
    path(
        "records/<str:record_id>/queries/<id:query_id>/reply/",
        queries.reply,
        name="reply_query",
    ),
    path("records/<str:record_id>/<str:form>/", forms.form_page, name="form"),
    path("records/<str:record_id>/<str:form>/query/", queries.open_on_field, name="open_query"),
    path(
        "records/<str:record_id>/<str:form>/resolve/",
        forms.resolve_conflict,
        name="resolve_conflict",
    ),
    path(
        "records/<str:record_id>/<str:form>/file/<str:field>/",
        forms.download,
        name="download",
    ),
    path(
        "records/<str:record_id>/<str:form>/history/<str:field>/",
        forms.history,
        name="history",
    ),
    path("queries/", queries.query_list, name="queries"),
    path("dashboard/", records.dashboard, name="dashboard"),
    path("dashboard/remind/<id:hospital_id>/", records.remind_hospital, name="remind"),
    path("people/", people.people, name="people"),
    path("people/invite/", people.invite_coordinator, name="invite"),
    path("people/<id:user_id>/", people.change_person, name="change_person"),
    path("setup/", study.study_setup, name="setup"),
    path("export.csv", study.export, name="export"),
    path("export/", exports.export_page, name="export_page"),
    # REDCap's API protocol, and the data manager's tokens for it.
    path("api/", api.api, name="api"),
    path("api/tokens/", api_tokens.tokens, name="api_tokens"),
    path("api/tokens/<id:token_id>/revoke/", api_tokens.revoke, name="revoke_token"),
    # The Excel questionnaire: one workbook per hospital, filled and uploaded back.
    path("questionnaires/", workbooks.workbooks, name="workbooks"),
    path("questionnaires/<str:hospital>.xlsx", workbooks.download, name="workbook"),
    path("report/", report.report, name="report"),
    path("report/<str:kind>/", report.report_file, name="report_file"),
    path("admin/", admin.site.urls),
    # The app's own CSS and script, served by Django itself: no separate web server to set up.
    re_path(
        r"^static/(?P<path>capture/.*)$", serve, {"document_root": Path(__file__).parent / "static"}
    ),
]

handler400 = "followup.capture.errors.bad_request"
handler403 = "followup.capture.errors.permission_denied"
handler404 = "followup.capture.errors.page_not_found"
handler500 = "followup.capture.errors.server_error"
