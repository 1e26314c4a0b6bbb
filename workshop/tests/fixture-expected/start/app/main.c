/* main.c -- greets its arguments; the instrumented build also counts and reports them. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        int loud = strchr(argv[i], '!') != NULL;
        printf("%s, %s\n", loud ? "HELLO" : "Hello", argv[i]);
    }
    return 0;
}
