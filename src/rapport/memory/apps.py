from django.apps import AppConfig


class MemoryConfig(AppConfig):
    name = "rapport.memory"
    label = "memory"
    verbose_name = "Interact: the learning memory"
