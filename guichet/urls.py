from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from guichet.api.main import api, openapi_json
from guichet.channels import chat_views as chat
from guichet.channels.views import whatsapp_webhook
from guichet.console import calls as console_calls
from guichet.console import mail as console_mail
from guichet.console import oncall as console_oncall
from guichet.console import outages as console_outages
from guichet.console import search as console_search
from guichet.console import tickets as console_tickets
from guichet.console import views as console
from guichet.console import working as console_working
from guichet.customers.views import (
    PasswordResetView,
    SignInView,
    home,
    password_change,
    profile,
    set_language,
)
from guichet.ops import views as ops
from guichet.portal import account as portal_account
from guichet.portal import tickets as portal_tickets
from guichet.portal import views as portal

admin.site.site_header = "Guichet administration"
admin.site.site_title = "Guichet"

# A lost database connection answers 503 with Retry-After, other errors a plain 500 (JSON under /api/).
handler500 = "guichet.ops.errors.server_error"
# 403 and 404: the site's pages (templates/403.html, 404.html: the layout, the way home); JSON under /api/.
handler403 = "guichet.ops.errors.forbidden"
handler404 = "guichet.ops.errors.not_found"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),  # Django's, behind the sign-in limit
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset by mail, limited and mailed by a task: how a new contact sets a first password too.
    path("accounts/password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    # One's own profile and password, for contacts and staff alike (the header's "Profile" link).
    path("account/", profile, name="account"),
    path("account/password/", password_change, name="account-password"),
    # The language switcher of every page: Django's set_language, also saving a signed-in person's choice.
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("channels/whatsapp/webhook", whatsapp_webhook, name="whatsapp-webhook"),
    path("extranet/", portal.home, name="portal-home"),
    path("extranet/tickets/", portal_tickets.tickets, name="portal-tickets"),
    path("extranet/tickets/new", portal_tickets.new, name="portal-ticket-new"),
    path("extranet/tickets/similar", portal_tickets.similar, name="portal-ticket-similar"),
    path("extranet/tickets/<str:ref>/", portal_tickets.ticket, name="portal-ticket"),
    path("extranet/tickets/<str:ref>/reply", portal_tickets.reply, name="portal-ticket-reply"),
    path("extranet/tickets/<str:ref>/attach", portal_tickets.attach, name="portal-ticket-attach"),
    path("extranet/tickets/<str:ref>/urgent", portal_tickets.urgent, name="portal-ticket-urgent"),
    path("extranet/tickets/<str:ref>/solved", portal_tickets.solved, name="portal-ticket-solved"),
    path("extranet/tickets/<str:ref>/not-solved", portal_tickets.not_solved, name="portal-ticket-not-solved"),
    path(
        "extranet/tickets/<str:ref>/quotes/<int:pk>",
        portal_tickets.quote_decision,
        name="portal-quote-decision",
    ),
    path("extranet/services/", portal.services, name="portal-services"),
    path("extranet/services/<int:pk>/", portal.service, name="portal-service"),
    path("extranet/services/<int:pk>/suspend", portal.suspend, name="portal-suspend"),
    path("extranet/services/<int:pk>/resume", portal.resume, name="portal-resume"),
    path("extranet/services/<int:pk>/terminate", portal.terminate, name="portal-terminate"),
    path("extranet/invoices/", portal.invoices, name="portal-invoices"),
    path("extranet/invoices/<int:pk>/", portal.invoice, name="portal-invoice"),
    path("extranet/claims/", portal.claims, name="portal-claims"),
    path("extranet/contacts/", portal_account.contacts, name="portal-contacts"),
    path("extranet/contacts/<int:pk>/", portal_account.contact_change, name="portal-contact-change"),
    path("extranet/activity/", portal_account.activity, name="portal-activity"),
    path("console/backoffice/", console.backoffice, name="console-backoffice"),
    path("console/backoffice/<int:pk>/done", console.backoffice_done, name="console-backoffice-done"),
    path("extranet/claims/new", portal.claim_new, name="portal-claim-new"),
    path("console/", console_tickets.queue_view, name="console-queue"),
    path("console/views", console_tickets.save_view, name="console-save-view"),
    path("console/rows", console_working.live_rows, name="console-live-rows"),
    path("console/bulk", console_working.bulk_action, name="console-bulk"),
    path("console/tickets/<str:ref>/macro", console_working.macro, name="console-macro"),
    path("console/tickets/<str:ref>/canned", console_working.canned_fill, name="console-canned"),
    path("console/tickets/<str:ref>/presence", console_working.presence, name="console-presence"),
    path(
        "console/tickets/<str:ref>/merge-targets", console_working.merge_targets, name="console-merge-targets"
    ),
    path("console/search/", console_search.search_view, name="console-search"),
    path("console/tickets/<str:ref>/", console_tickets.ticket_view, name="console-ticket"),
    path("console/tickets/<str:ref>/reply", console_tickets.reply, name="console-reply"),
    path("console/tickets/<str:ref>/change", console_tickets.change, name="console-change"),
    path("console/tickets/<str:ref>/intervention", console_tickets.intervention, name="console-intervention"),
    path("console/tickets/<str:ref>/merge", console_tickets.merge, name="console-merge"),
    path("console/tickets/<str:ref>/quote", console_tickets.quote, name="console-quote"),
    path("console/dashboard/", console.dashboard, name="console-dashboard"),
    path("console/claims/", console.claims, name="console-claims"),
    path("console/claims/<int:pk>/", console.claim, name="console-claim"),
    path("console/claims/<int:pk>/decide", console.decide, name="console-claim-decide"),
    path("console/calls/", console_calls.calls, name="console-calls"),
    path("console/calls/log", console_calls.log, name="console-call-log"),
    path("console/outages/", console_outages.outages, name="console-outages"),
    path("console/outages/declare", console_outages.declare, name="console-outage-declare"),
    path("console/outages/<int:pk>/", console_outages.outage, name="console-outage"),
    path("console/outages/<int:pk>/update", console_outages.update, name="console-outage-update"),
    path("console/outages/<int:pk>/end", console_outages.end, name="console-outage-end"),
    path("console/outages/<int:pk>/announce", console_outages.announce, name="console-outage-announce"),
    path("console/oncall/", console_oncall.board, name="console-oncall"),
    path(
        "console/oncall/pages/<int:pk>/acknowledge",
        console_oncall.acknowledge,
        name="console-page-acknowledge",
    ),
    path(
        "console/oncall/pages/<int:pk>/false-alarm",
        console_oncall.false_alarm,
        name="console-page-false-alarm",
    ),
    path("console/mail/", console_mail.inbox, name="console-mail"),
    path("console/mail/<int:pk>/", console_mail.one, name="console-mail-one"),
    path("console/mail/<int:pk>/ticket", console_mail.to_ticket, name="console-mail-ticket"),
    path("console/mail/<int:pk>/reply", console_mail.to_reply, name="console-mail-reply"),
    path("console/mail/<int:pk>/drop", console_mail.drop, name="console-mail-drop"),
    path("console/dead-letters/", console_mail.letters, name="console-dead-letters"),
    path("console/dead-letters/<int:pk>/replay", console_mail.replay, name="console-dead-letter-replay"),
    path("extranet/chat/", chat.panel, name="chat-panel"),
    path("extranet/chat/<int:pk>/", chat.customer_conversation, name="chat-conversation"),
    path("extranet/chat/<int:pk>/transcript", chat.customer_transcript, name="chat-transcript"),
    path("extranet/chat/<int:pk>/end", chat.customer_end, name="chat-end"),
    path("console/chat/", chat.console_queue, name="chat-queue"),
    path("console/chat/<int:pk>/", chat.console_conversation, name="chat-console"),
    path("console/chat/<int:pk>/transcript", chat.console_transcript, name="chat-console-transcript"),
    path("console/chat/<int:pk>/reply", chat.console_reply, name="chat-reply"),
    path("console/chat/<int:pk>/convert", chat.console_convert, name="chat-convert"),
    path("console/chat/<int:pk>/end", chat.console_end, name="chat-console-end"),
    path("", home, name="home"),
]
