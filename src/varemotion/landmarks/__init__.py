"""68-point iBUG landmarks of real faces, found by MediaPipe FaceMesh, for the explainability stage."""
