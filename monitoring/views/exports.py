"""(Pages to come.)"""

urlpatterns: list = []
