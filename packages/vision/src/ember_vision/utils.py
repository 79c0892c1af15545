"""make_grid, save_image, draw_bounding_boxes, draw_segmentation_masks."""
