from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "membercard.cards"
    label = "cards"
    verbose_name = "Card products and cards"

    def ready(self) -> None:
        # The reader learns the products' number formats (pre-printed cards) from here.
        from membercard.cards import products, reader

        reader.use_number_formats(products.number_formats)
