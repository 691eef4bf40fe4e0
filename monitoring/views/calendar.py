"""The calendar feed: the page where a person makes, resets or turns off the secret address of
their feed, and the feed itself, which calendar applications fetch without a session.

The secret travels in the query string (`/calendar/feed.ics?token=...`), not the path: the
request log writes each request's path and never its query string (cases.middleware), and
Django's log of a 404 writes the path alone too.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from cases import policy
from cases.views.base import MemberPage

from .. import calendar_feed, services
from ..models import CalendarFeed

# What every answer of the feed carries: a secret address is no page to keep, index or pass on.
FEED_HEADERS = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def feed_url(request, token: str) -> str:
    """The feed's absolute address with its secret."""
    return request.build_absolute_uri(
        f"{reverse('monitoring:calendar_feed')}?{urlencode({'token': token})}")


def webcal(url: str) -> str:
    """The same address for calendar applications that subscribe from a link."""
    return urlunsplit(("webcal", *urlsplit(url)[1:]))


class CalendarPage(MemberPage, TemplateView):
    """The signed-in person's feed: whether there is one and when it was last fetched; make or
    reset its address (shown on that answer only, never stored), or turn it off."""

    template_name = "monitoring/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        feed = CalendarFeed.objects.select_related("user").filter(user_id=user.pk).first()
        context.update(
            feed=feed,
            feed_works=feed is not None and calendar_feed.is_current(feed),
            member=bool(policy.roles(user)),
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "turn_off":
            if services.calendar_feed_delete(actor=request.user):
                messages.success(request, _("Your calendar feed is turned off: its address no "
                                            "longer works."))
            return redirect("monitoring:calendar")
        if action != "reset":
            return redirect("monitoring:calendar")
        try:
            token = services.calendar_feed_reset(actor=request.user)
        except PermissionDenied:
            # The page says why.
            return self.render_to_response(self.get_context_data(), status=403)
        url = feed_url(request, token)
        # Shown on this answer only: never in the session or a message.
        response = self.render_to_response(self.get_context_data(
            secret_url=url, webcal_url=webcal(url)))
        response["Cache-Control"] = "no-store"
        return response


class CalendarFeedView(View):
    """The feed: its secret is the credential, no session is read. An unknown or malformed
    secret, an inactive owner, a new password, an owner outside every organisation: 404."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        feed = calendar_feed.feed_for(request.GET.get("token", ""))
        if feed is None:
            return _with_headers(HttpResponseNotFound(
                b"Not found.\n", content_type="text/plain; charset=utf-8"))
        def page_url(follow_up) -> str:
            return request.build_absolute_uri(
                reverse("monitoring:follow_up_detail", args=[follow_up.pk]))

        body = calendar_feed.build(feed.user, page_url=page_url)
        calendar_feed.touch(feed)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="follow-ups.ics"'
        return _with_headers(response)


def _with_headers(response: HttpResponse) -> HttpResponse:
    for header, value in FEED_HEADERS.items():
        response[header] = value
    return response


urlpatterns = [
    path("calendar/", CalendarPage.as_view(), name="calendar"),
    path("calendar/feed.ics", CalendarFeedView.as_view(), name="calendar_feed"),
]
