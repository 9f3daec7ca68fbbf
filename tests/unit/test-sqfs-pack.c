/* Placeholder: replaced with the packer's tests. */
int main(void) { return 77; }
