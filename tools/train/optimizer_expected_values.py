import torch, math
import numpy as np
def run(optf, steps_grads, w0):
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    o = optf([w])
    for g in steps_grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        o.step()
    return w.detach().numpy().tolist()
w0=[[1.,2.,-1.]]
g1=[[0.5,-1.,2.]]; g2=[[1.,1.,1.]]
print("sgd", run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1), [g1,g2], w0))
print("nesterov", run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True), [g1,g2], w0))
print("adamw", run(lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1, eps=1e-8), [g1,g2], w0))
def lamb(params, grads_steps, lr, wd_of, b1=0.9,b2=0.999,eps=1e-6,maxn=1.0):
    params=[np.array(p,dtype=np.float64) for p in params]
    m=[np.zeros_like(p) for p in params]; v=[np.zeros_like(p) for p in params]
    step=0
    for grads in grads_steps:
        grads=[np.array(g,dtype=np.float64) for g in grads]
        gn=math.sqrt(sum((g**2).sum() for g in grads))
        clip = gn/maxn if gn>maxn else 1.0
        step+=1
        for i,p in enumerate(params):
            g=grads[i]/clip
            m[i]=b1*m[i]+(1-b1)*g; v[i]=b2*v[i]+(1-b2)*g*g
            bc1=1-b1**step; bc2=1-b2**step
            denom=np.sqrt(v[i])/math.sqrt(bc2)+eps
            upd=(m[i]/bc1)/denom
            wd=wd_of[i]
            if wd!=0:
                upd=upd+wd*p
                wn=np.linalg.norm(p); un=np.linalg.norm(upd)
                tr = wn/un if (wn>0 and un>0) else 1.0
                upd=upd*tr
            params[i]=p-lr*upd
    return [p.tolist() for p in params]
print("lamb", lamb([[[1.,2.,-1.]],[0.5]], [[[[0.5,-1.,2.]],[3.]], [[[1.,1.,1.]],[-0.2]]], 0.01, [0.1,0.0]))
x=torch.tensor([[1.,2.,3.],[1.,0.,-1.]],dtype=torch.float64); y=torch.tensor([2,0])
print("ce_s0.1", torch.nn.functional.cross_entropy(x,y,label_smoothing=0.1).item())
print("ce", torch.nn.functional.cross_entropy(x,y).item())
t=torch.full((2,3),0.1/3,dtype=torch.float64); t[0,2]=1-0.1+0.1/3; t[1,0]=1-0.1+0.1/3
print("bce_s0.1", torch.nn.functional.binary_cross_entropy_with_logits(x,t).item())
soft=torch.tensor([[0.2,0.3,0.5],[0.6,0.4,0.]],dtype=torch.float64)
print("softce", (-(soft*torch.log_softmax(x,1)).sum(1)).mean().item())
print("cos", [0.01+0.5*0.99*(1+math.cos(math.pi*t/100)) for t in (10,50)])
