"""The bid analysis: cost build-up, margin and markup, win-probability models, the recommended
price and the withdraw advice, and the Bid JSON document. Pure Python; :mod:`excelflow.bid.sheet`
lays out and reads the Bid sheet."""
