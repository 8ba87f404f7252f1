"""Server-rendered pages: the requester portal now, the agent workspace next.

Blueprints (routes.py): account.py (sign-in, sign-out, password reset, language switch),
portal.py (the requester's pages), assets.py (static files). Shared by all of them:
views.py (the page decorator: session, language, CSRF, friendly errors), session.py,
csrf.py, i18n.py, render.py (Jinja2 and the security headers), forms.py, labels.py.
Templates in templates/, catalogs in locale/, vendored CSS and JS in static/.

Pages call the same services as the API, with the same principal; jinja2 and babel are
imported on the first page, so `import app` stays as light as the API needs.
"""
