"""The Bid sheet (投标分析): its labels and layout, writing it and reading it back."""
