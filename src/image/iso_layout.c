/* iso_layout: being written. */
typedef int iso_layout_placeholder;
