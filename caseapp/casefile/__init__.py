"""The returnee's file: the pages that show a returnee with their case, assistance and reviews together."""
