"""AudioCNN: the PyTorch definition of the ResNet-style ESC-50 classifier that the Swift side reimplements.

Importable by the fixture generators, the benchmark, the reference trainer and the checkpoint converter.
`width` and `blocks` are constructor options so tests can build tiny versions; the defaults
(width 64, blocks (3, 4, 6, 3), 50 classes) have exactly 21 304 050 parameters. State-dict keys are
the standard ones (conv1.0.weight, layer1.0.bn1.running_mean, layer2.0.shortcut.0.weight, fc.weight, ...).
"""
import torch
import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = nn.Sequential()
        self.use_shortcut = stride != 1 or in_channels != out_channels
        if self.use_shortcut:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x, fmap_dict=None, prefix=""):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out_add = out + (self.shortcut(x) if self.use_shortcut else x)
        if fmap_dict is not None:
            fmap_dict[f"{prefix}.conv"] = out_add
        out = torch.relu(out_add)
        if fmap_dict is not None:
            fmap_dict[f"{prefix}.relu"] = out
        return out


class AudioCNN(nn.Module):
    def __init__(self, num_classes=50, width=64, blocks=(3, 4, 6, 3), in_channels=1, dropout=0.5):
        super().__init__()
        w = width
        self.width = width
        self.blocks = tuple(blocks)
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, w, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        chans = [w, 2 * w, 4 * w, 8 * w]
        prev = w
        for i, (c, n) in enumerate(zip(chans, self.blocks)):
            layer = nn.ModuleList()
            for j in range(n):
                stride = 2 if (j == 0 and i > 0) else 1
                layer.append(ResidualBlock(prev if j == 0 else c, c, stride))
            prev = c
            setattr(self, f"layer{i + 1}", layer)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(8 * w, num_classes)

    def forward(self, x, return_feature_maps=False):
        if not return_feature_maps:
            x = self.conv1(x)
            for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
                for block in layer:
                    x = block(x)
            x = self.avgpool(x)
            x = x.view(x.size(0), -1)
            x = self.dropout(x)
            return self.fc(x)
        fmaps = {}
        x = self.conv1(x)
        fmaps["conv1"] = x
        for i, layer in enumerate((self.layer1, self.layer2, self.layer3, self.layer4), start=1):
            for j, block in enumerate(layer):
                x = block(x, fmaps, prefix=f"layer{i}.block{j}")
            fmaps[f"layer{i}"] = x
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        x = self.dropout(x)
        return self.fc(x), fmaps


def architecture_from_state_dict(sd):
    """Infer (width, blocks, num_classes, in_channels) from a state_dict's keys and shapes."""
    w = sd["conv1.0.weight"].shape[0]
    in_ch = sd["conv1.0.weight"].shape[1]
    blocks = []
    for i in range(1, 5):
        idx = {int(k.split(".")[1]) for k in sd if k.startswith(f"layer{i}.")}
        blocks.append(max(idx) + 1 if idx else 0)
    num_classes = sd["fc.weight"].shape[0]
    return int(w), [int(b) for b in blocks], int(num_classes), int(in_ch)


if __name__ == "__main__":
    m = AudioCNN()
    print("parameters:", sum(p.numel() for p in m.parameters()))
    print("state_dict entries:", len(m.state_dict()))
