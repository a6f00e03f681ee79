/// The OpenAPI 3 description of the service, served at `/openapi.json`. A test checks that its paths and
/// methods are exactly the service's routes and that real responses have the documented fields.
enum OpenAPIDocument {
    static let text = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "AudioSpecNet inference service",
    "version": "1",
    "description": "Classifies environmental sounds with a ResNet on log-mel spectrograms. /inference answers as the reference web service does (predictions, feature maps, spectrogram, waveform); /classify takes the raw audio file. Audio in any format libsndfile reads, any rate and channel count."
  },
  "paths": {
    "/inference": {
      "post": {
        "summary": "Classify a base64 audio file and return the reference service's visualisation data",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InferenceRequest"}}}
        },
        "responses": {
          "200": {"description": "Top-3 predictions, feature maps, input spectrogram and waveform",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InferenceResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/classify": {
      "post": {
        "summary": "Classify a raw audio file (the request body); per-window results for audio longer than a window",
        "parameters": [
          {"name": "top", "in": "query", "required": false, "description": "How many classes to return (default 3)",
           "schema": {"type": "integer", "minimum": 1, "default": 3}}
        ],
        "requestBody": {
          "required": true,
          "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
        },
        "responses": {
          "200": {"description": "Top-k predictions (mean over windows) and, for long audio, each window's",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClassifyResponse"}}}},
          "400": {"$ref": "#/components/responses/Error"},
          "413": {"$ref": "#/components/responses/Error"},
          "422": {"$ref": "#/components/responses/Error"},
          "500": {"$ref": "#/components/responses/Error"},
          "503": {"$ref": "#/components/responses/Error"}
        }
      }
    },
    "/health": {
      "get": {
        "summary": "The loaded model, its classes and front end, the tool's version and the limits",
        "responses": {"200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}}
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics: requests by route and status, latency, batch sizes, requests in flight",
        "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {"200": {"description": "OpenAPI 3 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  },
  "components": {
    "responses": {
      "Error": {"description": "The request could not be served; the message says why",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "InferenceRequest": {
        "type": "object", "required": ["audio_data"],
        "properties": {"audio_data": {"type": "string", "format": "byte", "description": "base64 of an audio file (WAV, FLAC, OGG, …)"}}
      },
      "Prediction": {
        "type": "object", "required": ["class", "confidence"],
        "properties": {"class": {"type": "string"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1}}
      },
      "Map": {
        "type": "object", "required": ["shape", "values"],
        "properties": {
          "shape": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
          "values": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
        }
      },
      "Window": {
        "type": "object", "required": ["start", "end", "predictions"],
        "properties": {"start": {"type": "number"}, "end": {"type": "number"},
                       "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}}}
      },
      "ClassifyResponse": {
        "type": "object", "required": ["predictions", "duration", "sample_rate", "channels", "padded", "window"],
        "properties": {
          "predictions": {"type": "array", "items": {"$ref": "#/components/schemas/Prediction"}},
          "duration": {"type": "number", "description": "seconds"},
          "sample_rate": {"type": "integer", "description": "of the uploaded audio"},
          "channels": {"type": "integer"},
          "padded": {"type": "boolean", "description": "shorter than one window, zero-padded"},
          "window": {"type": "number", "description": "window length in seconds"},
          "windows": {"type": "array", "items": {"$ref": "#/components/schemas/Window"}}
        }
      },
      "InferenceResponse": {
        "allOf": [
          {"$ref": "#/components/schemas/ClassifyResponse"},
          {
            "type": "object", "required": ["visualization", "input_spectrogram", "waveform"],
            "properties": {
              "visualization": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Map"},
                                "description": "channel means of conv1, every residual block's conv and relu, and each stage"},
              "input_spectrogram": {"$ref": "#/components/schemas/Map"},
              "waveform": {
                "type": "object", "required": ["values", "sample_rate", "duration"],
                "properties": {"values": {"type": "array", "items": {"type": "number"}, "maxItems": 8000},
                               "sample_rate": {"type": "integer"}, "duration": {"type": "number"}}
              }
            }
          }
        ]
      },
      "Health": {
        "type": "object", "required": ["status", "version", "model", "limits"],
        "properties": {
          "status": {"type": "string", "enum": ["ok"]},
          "version": {"type": "string"},
          "model": {"type": "object", "required": ["source", "parameters", "classes", "frontend"],
                    "properties": {"source": {"type": "string"}, "parameters": {"type": "integer"},
                                   "classes": {"type": "array", "items": {"type": "string"}}, "frontend": {"type": "object"}}},
          "limits": {"type": "object"}
        }
      },
      "Error": {
        "type": "object", "required": ["error", "status"],
        "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}
      }
    }
  }
}
"""#
}
