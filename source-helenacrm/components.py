"""Custom components for source-helenacrm: none are needed.

Everything HelenaCRM does is said with built-in declarative components in manifest.yaml: the
``hasMorePages`` envelope (CursorPagination), plain arrays and the single office-hours object
(DpathExtractor with an empty path), the ACTIVE-only ``Status`` default (ListPartitionRouter),
repeated ``IncludeDetails`` keys (list-valued request parameters), messages and cards that need
a parent id (SubstreamPartitionRouter) and the two rate windows (HTTPAPIBudget). The file exists
because the manifest-only image and the test helpers load it.
"""
