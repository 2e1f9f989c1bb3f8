from django.urls import include, path

from custos.web import access_views, audit_views, governance, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="login"),
    path("sign-out/", views.sign_out, name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/mfa/setup/", access_views.mfa_setup, name="mfa_setup"),
    path("account/mfa/verify/", access_views.mfa_verify, name="mfa_verify"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/<int:notification_id>/done/", views.task_done, name="task_done"),
    # Access governance: declared purpose, training, recertification, accounts (custos.web.governance)
    path("purpose/", governance.purpose, name="purpose"),
    path("account/training/", governance.my_training, name="my_training"),
    path("training/", governance.training_list, name="training"),
    path("training/<int:user_id>/record/", governance.training_add, name="training_add"),
    path("recertification/", governance.recertification, name="recertification"),
    path("users/", governance.users, name="users"),
    path("users/add/", governance.user_add, name="user_add"),
    path("users/<int:user_id>/suspend/", governance.user_suspend_view, name="user_suspend"),
    path("users/<int:user_id>/reinstate/", governance.user_reinstate_view, name="user_reinstate"),
    # The s.62 log, for auditors (custos.web.audit_views)
    path("audit/", audit_views.log, name="audit_log"),
    path("audit/export.zip", audit_views.export, name="audit_export"),
    path("audit/patterns/", audit_views.patterns, name="audit_patterns"),
    path("", include("custos.register.urls")),
    path("", include("custos.retention.urls")),
    path("", include("custos.dlp.urls")),
    path("", include("custos.rights.urls")),
    path("", include("custos.oversight.urls")),
    path("", include("custos.sharing.urls")),
]
