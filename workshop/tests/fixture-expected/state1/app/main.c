/* main.c -- greets its arguments; the instrumented build also counts and reports them. */
#include <stdio.h>
#include <string.h>
#include "counter.h"

int main(int argc, char **argv) {
    int report = 1;
    for (int i = 1; i < argc; i++) {
        int loud = strchr(argv[i], '!') != NULL;
        printf("%s, %s\n", loud ? "HELLO" : "Hello", argv[i]);
        counter_inc("greeting");
        if (loud) {
        }
    }
    if (report) {
        printf("report:");
        printf(" greetings=%ld", counter_get("greeting"));
        printf("\n");
    }
    return 0;
}
