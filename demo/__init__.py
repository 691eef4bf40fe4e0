"""The demo: organisations in France, Germany, Belgium and Italy, an audit body, an account for
each role, a sharing group, a dozen fictional cases and the visits of the surrendered people,
written through the services like any other data (`manage.py seed_demo`).

Every person, organisation name, reference number and contact is invented. The states, treaties
and procedures are real. It sits above the other apps and may import any of them; none imports it.
"""
