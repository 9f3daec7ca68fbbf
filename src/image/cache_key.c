/* cache_key: being written. */
typedef int cache_key_placeholder;
