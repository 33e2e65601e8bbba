#version 330
/* {"DESCRIPTION": "Pure black: the projector is dark.", "INPUTS": []} */
out vec4 fragColor;

void main() {
    fragColor = vec4(0.0, 0.0, 0.0, 1.0);
}
