"""Realism of generated faces, measured by something other than the guides.

`renderer_fit` fits the synthetic renderer to an image (analysis by synthesis); `two_sample` is a
classifier two-sample test against held-out real faces; `facemesh` runs MediaPipe FaceMesh when
it is installed. `measures` picks the per-image measure for a data source, `scores` reads and
writes the score tables, and `stage` holds what the workflow's realism rules call.
"""
