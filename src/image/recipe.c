/* recipe: being written. */
typedef int recipe_placeholder;
